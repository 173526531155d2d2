#ifndef KUBEHARDEN_CZLIB_SHIM_H
#define KUBEHARDEN_CZLIB_SHIM_H
#include <zlib.h>

/// `inflateInit2` is a macro: a function Swift can call. windowBits 15 + 16 reads a gzip stream
/// (zlib.h: "Add 16 to windowBits to ... decode only the gzip format").
static inline int kubeharden_inflate_init_gzip(z_stream *stream) {
  return inflateInit2(stream, 15 + 16);
}
#endif
