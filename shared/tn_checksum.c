/*
 * tn_checksum.c -- the checksum of a migration body.
 *
 * SHA-256 (OpenSSL libcrypto) of the body with a leading UTF-8 BOM removed and
 * every CRLF or lone CR turned into LF, so a file saved on Windows and the
 * same file saved on Linux give one checksum.  Written as
 * "sha256:<64 lowercase hex>".
 *
 * libcrypto's SHA256_Init/Update/Final, not EVP: the first EVP digest of a
 * process fetches the default provider and builds OpenSSL's method store
 * (about 1 ms, measured), and every new PostgreSQL session or sqlite3
 * process that runs tenant_migrate() would pay it; the SHA256_* functions
 * call the same implementation directly.  OpenSSL 3 marks them deprecated
 * (not removed); if a later OpenSSL drops them, EVP_MD_fetch once per
 * process is the replacement.
 *
 * Must not: copy the whole body (bodies go up to 16 MB): it
 * normalizes through a small fixed buffer while hashing, and must not
 * change the rules above without a catalog upgrade, since stored
 * checksums depend on them.
 */
#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_*: see the header comment */
#include <openssl/sha.h>

#include "tenancy.h"

#define CHUNK 8192

static int
digest_failed(tn_error *err)
{
	tn_error_set(err, TN_ERR_NO_MEMORY, "could not compute the checksum");
	tn_error_detail(err, "The SHA-256 digest of libcrypto failed.");
	return TN_ERR_NO_MEMORY;
}

int
tn_checksum(const char *body, size_t len, char out[TN_CHECKSUM_LEN],
			tn_error *err)
{
	static const char hex[] = "0123456789abcdef";
	tn_error		  scratch;
	SHA256_CTX		  ctx;
	unsigned char	  md[SHA256_DIGEST_LENGTH];
	char			  buf[CHUNK];
	size_t			  n = 0;
	size_t			  i;

	if (err == NULL)
		err = &scratch;
	if (out == NULL || (body == NULL && len > 0))
		return tn_error_null_argument(err, out == NULL ? "out" : "body");
	out[0] = '\0';

	if (SHA256_Init(&ctx) != 1)
		return digest_failed(err);

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
			if (SHA256_Update(&ctx, buf, n) != 1)
				return digest_failed(err);
			n = 0;
		}
	}
	if (n > 0 && SHA256_Update(&ctx, buf, n) != 1)
		return digest_failed(err);
	if (SHA256_Final(md, &ctx) != 1)
		return digest_failed(err);

	memcpy(out, "sha256:", 7);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
	{
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[7 + 2 * SHA256_DIGEST_LENGTH] = '\0';
	return TN_OK;
}
