// The whole public API of libpyro in one include.
#pragma once

#include "pyro/config.hpp"
#include "pyro/convert.hpp"
#include "pyro/daemon.hpp"
#include "pyro/errors.hpp"
#include "pyro/log.hpp"
#include "pyro/message.hpp"
#include "pyro/methods.hpp"
#include "pyro/name_server.hpp"
#include "pyro/object_metadata.hpp"
#include "pyro/proxy.hpp"
#include "pyro/remote_exception.hpp"
#include "pyro/serializer.hpp"
#include "pyro/uri.hpp"
#include "pyro/value.hpp"
#include "pyro/version.hpp"
