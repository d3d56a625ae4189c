#ifndef S2E_VERSION_H
#define S2E_VERSION_H

extern const char S2E_VERSION_STRING[];

#endif
