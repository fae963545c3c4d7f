/* Shim for the CWeft.Sys submodule: weft's lower-stability surface
   (batch builder, key-value store adapters, conformance kit), which a minor
   release may change. */
#ifndef CWEFT_SYS_SHIM_H
#define CWEFT_SYS_SHIM_H
#include <weft/weft.h>
#include <weft/sys/weft_sys.h>
#endif
