/* weft.h and weft/sys/weft_sys.h must compile as strict C99:
   -std=c99 -Wall -Wextra -pedantic -Werror. */
#include "weft/weft.h"
#include "weft/sys/weft_sys.h"

#if !WEFT_VERSION_CHECK(0, 3, 0) || WEFT_VERSION_CHECK(0, 3, 1) || WEFT_VERSION_CHECK(1, 0, 0)
#error "WEFT_VERSION_CHECK disagrees with WEFT_VERSION_NUMBER"
#endif

int main(void) { return weft_version_number() == WEFT_VERSION_NUMBER ? 0 : 1; }
