/*
 * control.h - the control plane (src/control/): control messages between
 * nodes on the shared UDP socket (cp_msg.h), enrollment by token, devices,
 * friends and policy on a signpost, name- and packet-triggered connections
 * and relay paths on a device.  docs/ARCHITECTURE.md, "Control plane".
 */
#ifndef CP_CONTROL_H
#define CP_CONTROL_H

struct sp_plane;

extern const struct sp_plane cp_plane;

#endif
