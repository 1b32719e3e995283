/*
 * tn_checksum.c -- the checksum of a migration body.
 *
 * SHA-256 (tn_sha256.c) of the body with a leading UTF-8 BOM removed and
 * every CRLF or lone CR turned into LF, so a file saved on Windows and the
 * same file saved on Linux give one checksum.  Written as
 * "sha256:<64 lowercase hex>".
 *
 * Must not: copy the whole body (bodies go up to 16 MB): it
 * normalizes through a small fixed buffer while hashing, and must not
 * change the rules above without a catalog upgrade, since stored
 * checksums depend on them.
 */
#include <string.h>

#include "tn_internal.h"

#define CHUNK 8192

int
tn_checksum(const char *body, size_t len, char out[TN_CHECKSUM_LEN],
			tn_error *err)
{
	static const char hex[] = "0123456789abcdef";
	tn_error		  scratch;
	tn_sha256		  ctx;
	unsigned char	  md[TN_SHA256_LEN];
	char			  buf[CHUNK];
	size_t			  n = 0;
	size_t			  i;

	if (err == NULL)
		err = &scratch;
	if (out == NULL || (body == NULL && len > 0))
		return tn_error_null_argument(err, out == NULL ? "out" : "body");
	out[0] = '\0';

	tn_sha256_init(&ctx);
	i = 0;
	if (len >= 3 && (unsigned char) body[0] == 0xEF &&
		(unsigned char) body[1] == 0xBB && (unsigned char) body[2] == 0xBF)
		i = 3;

	for (; i < len; i++)
	{
		char c = body[i];

		if (c == '\r')
		{
			c = '\n';
			if (i + 1 < len && body[i + 1] == '\n')
				i++;
		}
		buf[n++] = c;
		if (n == CHUNK)
		{
			tn_sha256_update(&ctx, buf, n);
			n = 0;
		}
	}
	if (n > 0)
		tn_sha256_update(&ctx, buf, n);
	tn_sha256_final(&ctx, md);

	memcpy(out, "sha256:", 7);
	for (i = 0; i < TN_SHA256_LEN; i++)
	{
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[7 + 2 * TN_SHA256_LEN] = '\0';
	return TN_OK;
}
