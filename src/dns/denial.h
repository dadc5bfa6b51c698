/*
 * denial.h - authenticated denial of existence in answers: RFC 9824
 * "compact denial of existence".
 *
 * Why compact denial and not NSEC "white lies" (RFC 4470) or NSEC3: one
 * NSEC record and one signature per negative answer (white lies need up to
 * two or three), nothing about neighbouring names leaks (the zone cannot be
 * walked), the NSEC for a name does not depend on the rest of the zone, so
 * it is cached per name and survives zone changes, and any validator that
 * understands plain NSEC NODATA proofs accepts it.
 *   - NODATA at an existing name N: NSEC owner N, next "\000.N", bitmap =
 *     N's types + RRSIG + NSEC.
 *   - Empty non-terminal: same, bitmap RRSIG + NSEC.
 *   - Non-existent name N: rcode NOERROR (NXDOMAIN if the query set the CO
 *     flag), NSEC owner N, next "\000.N", bitmap RRSIG + NSEC + NXNAME.
 * The signed zone handed to secondaries (AXFR) instead has a real NSEC
 * chain, since a secondary cannot sign.
 */
#ifndef DNS_DENIAL_H
#define DNS_DENIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define DNS_TYPE_NXNAME 128	/* RFC 9824 meta-type, only in NSEC bitmaps */

/*
 * Write an NSEC type bitmap (RFC 4034 4.1.2) for the sorted, unique types
 * types[0..n) into out.  Returns bytes written, or 0 if cap is too small.
 */
size_t dns_nsec_bitmap(const uint16_t *types, size_t n, uint8_t *out, size_t cap);

/*
 * RDATA of the compact-denial NSEC at name (lowercase wire): next name
 * "\000.name" (or name itself with one label of "\000" prefixed), then the
 * bitmap of types.  Returns bytes written, 0 if it does not fit (a name of
 * 254-255 bytes cannot get the prefix: then next = name, still covering).
 */
size_t dns_denial_nsec_rdata(const uint8_t *name, const uint16_t *types, size_t n,
			     uint8_t *out, size_t cap);

#endif
