/* fr_static: built with -static (no ELF interpreter): faultrun must refuse
 * it, since LD_PRELOAD cannot reach it. Touches argv[1] if it runs. */
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1)
        close(open(argv[1], O_WRONLY | O_CREAT, 0644));
    return 0;
}
