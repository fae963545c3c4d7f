// weft.h must compile as strict C++17: -std=c++17 -Wall -Wextra -pedantic -Werror.
#include "weft/weft.h"

int main() { return weft_version_number() == WEFT_VERSION_NUMBER ? 0 : 1; }
