/*
 * version: recsync's version, the one place it is written.  Every tool's
 * --version and the User-Agent of the Consul client say it; bin/recsync
 * asks a tool for it.
 */
#ifndef RECSYNC_VERSION_H
#define RECSYNC_VERSION_H

#define RECSYNC_VERSION	"0.1.0"

#endif
