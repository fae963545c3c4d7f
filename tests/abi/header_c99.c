/* weft.h must compile as strict C99: -std=c99 -Wall -Wextra -pedantic -Werror. */
#include "weft/weft.h"

int main(void) { return weft_version_number() == WEFT_VERSION_NUMBER ? 0 : 1; }
