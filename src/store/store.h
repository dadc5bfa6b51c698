/*
 * store.h - the store plane (src/store/): the personal container's replica
 * on this device, synced over the tunnels with the user's other devices and
 * read by friends where a collection is shared.  docs/ARCHITECTURE.md,
 * "Store plane".
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

struct sp_plane;

extern const struct sp_plane store_plane;

#endif
