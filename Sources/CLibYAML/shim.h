#ifndef KUBEHARDEN_CLIBYAML_SHIM_H
#define KUBEHARDEN_CLIBYAML_SHIM_H
#include <yaml.h>
#endif
