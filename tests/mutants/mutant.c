/* mutant.c: the one reader of the mutant manifests (tests/mutants/SUITE.manifest).
 * Every mutant runner asks it; none parses a manifest itself.
 *
 *   mutant list  MANIFEST            one line per mutant:
 *                                    NAME <tab> BREAKS <tab> FILE <tab> BUILD <tab> ALSO
 *                                    (clauses space-separated; "-" if none)
 *   mutant apply MANIFEST NAME OUT   writes FILE with NAME's edits made to OUT
 *   mutant check MANIFEST...         every mutant of every manifest applies
 *
 * A manifest, per mutant (lines outside a block: blank, "# comment" or key):
 *   mutant NAME           starts a mutant
 *   breaks CLAUSE...      the clause(s) the suite must fail on it
 *   file   PATH           the source it edits (relative to the project root)
 *   also   CLAUSE...      (optional) neighbours it may fail too; a full run
 *                         (MUTANTS_FULL=1) reports any other failing row
 *   build  PROGRAM        (servers) the program the edited file is linked into
 *   about  TEXT           the bug, in a few words
 *   <<<<                  then the exact original text, line by line,
 *   ====                  then the replacement,
 *   >>>>                  (one or more such edits per mutant, in order)
 * An edit's original must occur exactly once in today's FILE (and once in
 * the text the previous edits left); otherwise apply and check fail loudly,
 * naming the mutant and the manifest line. Exit: 0 ok, 1 a mutant does not
 * apply or the manifest is malformed, 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct edit {
    char *from, *to;
    int line;               /* of its "<<<<" */
};

struct mutant {
    char *name, *breaks, *also, *file, *build, *about;
    struct edit *edits;
    size_t nedits;
    int line;               /* of its "mutant" */
};

struct manifest {
    const char *path;
    struct mutant *m;
    size_t n;
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (p == NULL) {
        perror("mutant");
        exit(1);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    return strcpy(xrealloc(NULL, strlen(s) + 1), s);
}

/* Reads a whole file; NULL with errno on failure. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, got;
    if (f == NULL)
        return NULL;
    do {
        buf = xrealloc(buf, len + 65536 + 1);
        got = fread(buf + len, 1, 65536, f);
        len += got;
    } while (got > 0);
    buf[len] = '\0';
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        free(buf);
        errno = e;
        return NULL;
    }
    fclose(f);
    return buf;
}

static int bad(const struct manifest *mf, int line, const char *what)
{
    fprintf(stderr, "mutant: %s:%d: %s\n", mf->path, line, what);
    return -1;
}

/* Appends LINE (without its '\n') to the block text *T, a '\n' between lines. */
static void block_add(char **t, const char *line)
{
    size_t have = *t ? strlen(*t) + 1 : 0;
    *t = xrealloc(*t, have + strlen(line) + 1);
    if (have)
        (*t)[have - 1] = '\n';
    strcpy(*t + have, line);
}

/* A finished mutant has a name, clauses, a file and at least one edit. */
static int mutant_complete(const struct manifest *mf, const struct mutant *m)
{
    if (m->breaks == NULL)
        return bad(mf, m->line, "mutant without a \"breaks\" line");
    if (m->file == NULL)
        return bad(mf, m->line, "mutant without a \"file\" line");
    if (m->nedits == 0)
        return bad(mf, m->line, "mutant without an edit (<<<< ... ==== ... >>>>)");
    return 0;
}

static int key_line(struct manifest *mf, struct mutant *cur, int ln, char *s)
{
    char *key = s, *val = s + strcspn(s, " \t");
    if (*val)
        *val++ = '\0';
    val += strspn(val, " \t");
    if (*val == '\0')
        return bad(mf, ln, "a key without a value");
    if (strcmp(key, "mutant") == 0) {
        if (cur != NULL && mutant_complete(mf, cur) < 0)
            return -1;
        for (size_t i = 0; i < mf->n; i++)
            if (strcmp(mf->m[i].name, val) == 0)
                return bad(mf, ln, "a second mutant of that name");
        mf->m = xrealloc(mf->m, (mf->n + 1) * sizeof *mf->m);
        memset(&mf->m[mf->n], 0, sizeof *mf->m);
        mf->m[mf->n].name = xstrdup(val);
        mf->m[mf->n++].line = ln;
        return 0;
    }
    if (cur == NULL)
        return bad(mf, ln, "a key before the first \"mutant\" line");
    char **slot = strcmp(key, "breaks") == 0 ? &cur->breaks
                  : strcmp(key, "also") == 0 ? &cur->also
                  : strcmp(key, "file") == 0 ? &cur->file
                  : strcmp(key, "build") == 0 ? &cur->build
                  : strcmp(key, "about") == 0 ? &cur->about : NULL;
    if (slot == NULL)
        return bad(mf, ln, "unknown key (mutant, breaks, also, file, build, about, <<<<)");
    if (*slot != NULL)
        return bad(mf, ln, "that key twice in one mutant");
    *slot = xstrdup(val);
    return 0;
}

/* Parses the manifest's TEXT (changed in place) into MF. */
static int manifest_parse(struct manifest *mf, char *text)
{
    enum { KEYS, FROM, TO } at = KEYS;
    struct edit *e = NULL;
    char *p, *nl;
    int ln = 0;

    for (p = text; *p; p = nl + 1) {
        struct mutant *cur = mf->n ? &mf->m[mf->n - 1] : NULL;
        nl = strchr(p, '\n');
        if (nl == NULL)
            return bad(mf, ln + 1, "the last line has no newline");
        *nl = '\0';
        ln++;
        if (at == KEYS) {
            if (strcmp(p, "<<<<") == 0) {
                if (cur == NULL)
                    return bad(mf, ln, "an edit before the first \"mutant\" line");
                cur->edits = xrealloc(cur->edits, (cur->nedits + 1) * sizeof *cur->edits);
                e = &cur->edits[cur->nedits++];
                *e = (struct edit){ .from = NULL, .to = NULL, .line = ln };
                at = FROM;
            } else if (strcmp(p, "====") == 0 || strcmp(p, ">>>>") == 0) {
                return bad(mf, ln, "a marker outside an edit");
            } else if (*p != '\0' && *p != '#' && key_line(mf, cur, ln, p) < 0) {
                return -1;
            }
        } else if (strcmp(p, "<<<<") == 0) {
            return bad(mf, ln, "<<<< inside an edit");
        } else if (at == FROM && strcmp(p, "====") == 0) {
            if (e->from == NULL)
                return bad(mf, ln, "an edit with no original text");
            at = TO;
        } else if (at == TO && strcmp(p, ">>>>") == 0) {
            if (e->to == NULL)
                e->to = xstrdup("");
            at = KEYS;
        } else if (strcmp(p, "====") == 0 || strcmp(p, ">>>>") == 0) {
            return bad(mf, ln, "markers out of order (<<<< original ==== replacement >>>>)");
        } else {
            block_add(at == FROM ? &e->from : &e->to, p);
        }
    }
    if (at != KEYS)
        return bad(mf, ln, "the file ends inside an edit");
    if (mf->n == 0)
        return bad(mf, ln, "no mutant");
    return mutant_complete(mf, &mf->m[mf->n - 1]);
}

static void manifest_free(struct manifest *mf)
{
    for (size_t i = 0; i < mf->n; i++) {
        struct mutant *m = &mf->m[i];
        for (size_t j = 0; j < m->nedits; j++) {
            free(m->edits[j].from);
            free(m->edits[j].to);
        }
        free(m->edits);
        free(m->name);
        free(m->breaks);
        free(m->also);
        free(m->file);
        free(m->build);
        free(m->about);
    }
    free(mf->m);
    memset(mf, 0, sizeof *mf);
}

/* Loads the manifest at PATH into *MF; -1 (message printed) if malformed. */
static int manifest_load(const char *path, struct manifest *mf)
{
    char *text = slurp(path);
    int r;

    memset(mf, 0, sizeof *mf);
    mf->path = path;
    if (text == NULL) {
        fprintf(stderr, "mutant: %s: %s\n", path, strerror(errno));
        return -1;
    }
    r = manifest_parse(mf, text);
    free(text);
    if (r < 0)
        manifest_free(mf);
    return r;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* Returns M's edited source (malloc'd), or NULL (message printed). */
static char *mutant_apply(const struct manifest *mf, const struct mutant *m)
{
    char *orig = slurp(m->file), *cur;
    if (orig == NULL) {
        fprintf(stderr, "mutant: %s: %s: %s\n", m->name, m->file, strerror(errno));
        return NULL;
    }
    cur = xstrdup(orig);
    for (size_t i = 0; i < m->nedits; i++) {
        const struct edit *e = &m->edits[i];
        size_t in_orig = count(orig, e->from), in_cur = count(cur, e->from);
        if (in_orig != 1 || in_cur != 1) {
            fprintf(stderr, "mutant: %s:%d: mutant %s: the original text occurs %zu times "
                    "in %s (and %zu times after the edits before it), not once: "
                    "the manifest no longer follows the source\n",
                    mf->path, e->line, m->name, in_orig, m->file, in_cur);
            free(orig);
            free(cur);
            return NULL;
        }
        char *at = strstr(cur, e->from);
        size_t head = (size_t)(at - cur), fl = strlen(e->from), tl = strlen(e->to);
        char *next = xrealloc(NULL, strlen(cur) - fl + tl + 1);
        memcpy(next, cur, head);
        memcpy(next + head, e->to, tl);
        strcpy(next + head + tl, at + fl);
        free(cur);
        cur = next;
    }
    free(orig);
    return cur;
}

static const struct mutant *find(const struct manifest *mf, const char *name)
{
    for (size_t i = 0; i < mf->n; i++)
        if (strcmp(mf->m[i].name, name) == 0)
            return &mf->m[i];
    return NULL;
}

static int cmd_apply(const struct manifest *mf, const char *name, const char *out)
{
    const struct mutant *m = find(mf, name);
    char *src;
    FILE *f;
    if (m == NULL) {
        fprintf(stderr, "mutant: %s: no mutant named %s\n", mf->path, name);
        return 1;
    }
    if ((src = mutant_apply(mf, m)) == NULL)
        return 1;
    f = fopen(out, "w");
    if (f == NULL || fputs(src, f) == EOF || fclose(f) != 0) {
        fprintf(stderr, "mutant: %s: %s\n", out, strerror(errno));
        free(src);
        return 1;
    }
    free(src);
    return 0;
}

int main(int argc, char **argv)
{
    struct manifest mf;
    const char *cmd = argc > 1 ? argv[1] : "";

    if (strcmp(cmd, "list") == 0 && argc == 3) {
        if (manifest_load(argv[2], &mf) < 0)
            return 1;
        for (size_t i = 0; i < mf.n; i++)
            printf("%s\t%s\t%s\t%s\t%s\n", mf.m[i].name, mf.m[i].breaks, mf.m[i].file,
                   mf.m[i].build ? mf.m[i].build : "-", mf.m[i].also ? mf.m[i].also : "-");
        manifest_free(&mf);
        return 0;
    }
    if (strcmp(cmd, "apply") == 0 && argc == 5) {
        if (manifest_load(argv[2], &mf) < 0)
            return 1;
        int r = cmd_apply(&mf, argv[3], argv[4]);
        manifest_free(&mf);
        return r;
    }
    if (strcmp(cmd, "check") == 0 && argc >= 3) {
        int fails = 0;
        for (int a = 2; a < argc; a++) {
            if (manifest_load(argv[a], &mf) < 0) {
                fails++;
                continue;
            }
            size_t ok = 0;
            for (size_t i = 0; i < mf.n; i++) {
                char *src = mutant_apply(&mf, &mf.m[i]);
                ok += src != NULL;
                free(src);
            }
            printf("mutant check: %s: %zu of %zu mutants apply to today's sources\n",
                   argv[a], ok, mf.n);
            fails += ok != mf.n;
            manifest_free(&mf);
        }
        return fails ? 1 : 0;
    }
    fprintf(stderr, "usage: mutant list MANIFEST | mutant apply MANIFEST NAME OUT |"
            " mutant check MANIFEST...\n");
    return 2;
}
