/* SPDX-License-Identifier: MIT */
/*
 * SWIOTLB_API marks the functions of the public API.  The libraries are
 * built with -fvisibility=hidden, so only what carries this mark is exported
 * from the shared objects; everything else (the core's tlb_*, the modules'
 * helpers) stays internal, and the linker version script then gives each
 * exported symbol the library's version node.
 *
 * Define SWIOTLB_API yourself (e.g. empty) before including a libswiotlb
 * header to change how the declarations are seen; a program that links the
 * static archives into its own shared object and wants none of it exported
 * can define it as __attribute__((visibility("hidden"))).
 */
#ifndef SWIOTLB_EXPORT_H
#define SWIOTLB_EXPORT_H

#ifndef SWIOTLB_API
#if defined(__GNUC__) || defined(__clang__)
#define SWIOTLB_API __attribute__((visibility("default")))
#else
#define SWIOTLB_API
#endif
#endif

#endif
