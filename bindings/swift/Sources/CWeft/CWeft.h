/* Shim for the CWeft module map: the stable contract, weft.h. */
#ifndef CWEFT_SHIM_H
#define CWEFT_SHIM_H
#include <weft/weft.h>
#endif
