/* Shim for the CWeft module map: the whole contract is weft.h. */
#ifndef CWEFT_SHIM_H
#define CWEFT_SHIM_H
#include <weft/weft.h>
#endif
