/* course_headers.h: the system headers a course wrap.h brings in
 * (wrap-contract.md, the candidate paragraph), pre-included into every
 * candidate so that its code compiles as through its own header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <errno.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/select.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
