// weft.h and weft/sys/weft_sys.h must compile as strict C++17:
// -std=c++17 -Wall -Wextra -pedantic -Werror.
#include "weft/weft.h"
#include "weft/sys/weft_sys.h"

static_assert(WEFT_VERSION_CHECK(0, 3, 0) && !WEFT_VERSION_CHECK(0, 4, 0));

int main() { return weft_version_number() == WEFT_VERSION_NUMBER ? 0 : 1; }
