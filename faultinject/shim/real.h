/* real.h: reaching the real libc calls behind the interposed ones.
 *
 * REAL(name, ret, params) defines get_name(): the next definition of NAME
 * (libc's), found with dlsym(RTLD_NEXT) once and cached. Each file that
 * interposes calls resolves its own from its fi_*_resolve function, which
 * the constructor runs, so that no lookup happens later in a signal handler.
 */
#ifndef FI_REAL_H
#define FI_REAL_H

#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>

#define FI_EXPORT __attribute__((visibility("default")))

#define REAL(name, ret, params)                                                  \
    typedef ret(*name##_fn) params;                                              \
    static _Atomic(name##_fn) real_##name;                                       \
    static name##_fn get_##name(void)                                            \
    {                                                                            \
        name##_fn f = atomic_load_explicit(&real_##name, memory_order_relaxed);  \
        if (f == NULL) {                                                         \
            f = (name##_fn)dlsym(RTLD_NEXT, #name);                              \
            atomic_store_explicit(&real_##name, f, memory_order_relaxed);        \
        }                                                                        \
        return f;                                                                \
    }

#endif
