/*
 * zone_sync.c - write the zone's run-time content back to its master file,
 * so that devices added with `signpost zone add` or UPDATE survive a
 * restart.  The file is replaced atomically (temporary file, fsync, rename):
 * a crash leaves the old file or the new one, never half of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "dns/plane.h"
#include "dns/zone.h"

int dns__zone_write(const struct dns_zone *z, const char *path)
{
	char *text = dns_zone_to_text(z);
	char *origin = ldns_rdf2str(dns_zone_origin(z));
	char tmp[4096];
	int fd = -1, err = 0;
	FILE *f = NULL;

	if (text == NULL || origin == NULL) {
		err = -ENOMEM;
		goto out;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		err = -errno;
		goto out;
	}
	fd = -1;	/* owned by f now */
	fprintf(f, "; Zone %s, kept by signpostd: it rewrites this file after every change\n"
		   "; (`signpost zone add`, UPDATE), so edit it only while signpostd is stopped.\n"
		   "; DNSKEY records at the apex come from the key files and are ignored here.\n"
		   "$ORIGIN %s\n%s",
		origin, origin, text);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		err = -errno;
	if (fclose(f) != 0 && err == 0)
		err = -errno;
	f = NULL;
	if (err == 0 && rename(tmp, path) != 0)
		err = -errno;
	if (err < 0)
		unlink(tmp);
out:
	if (err < 0)
		sp_err("dns: cannot write the zone back to %s: %s", path, sp_strerror(err));
	if (fd >= 0)
		close(fd);
	free(origin);
	free(text);
	return err;
}
