/*
 * tn_checksum.c -- the checksum of a migration body.
 *
 * SHA-256 (OpenSSL EVP) of the body with a leading UTF-8 BOM removed and
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

#include <openssl/evp.h>

#include "tenancy.h"

#define CHUNK 8192

static int
digest_failed(EVP_MD_CTX *ctx, tn_error *err)
{
	if (ctx)
		EVP_MD_CTX_free(ctx);
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
	EVP_MD_CTX		 *ctx;
	unsigned char	  md[EVP_MAX_MD_SIZE];
	unsigned int	  mdlen = 0;
	char			  buf[CHUNK];
	size_t			  n = 0;
	size_t			  i;

	if (err == NULL)
		err = &scratch;
	if (out == NULL || (body == NULL && len > 0))
		return tn_error_null_argument(err, out == NULL ? "out" : "body");
	out[0] = '\0';

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return digest_failed(NULL, err);
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		return digest_failed(ctx, err);

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
			if (EVP_DigestUpdate(ctx, buf, n) != 1)
				return digest_failed(ctx, err);
			n = 0;
		}
	}
	if (n > 0 && EVP_DigestUpdate(ctx, buf, n) != 1)
		return digest_failed(ctx, err);
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		return digest_failed(ctx, err);
	EVP_MD_CTX_free(ctx);

	memcpy(out, "sha256:", 7);
	for (i = 0; i < mdlen; i++)
	{
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[7 + 2 * mdlen] = '\0';
	return TN_OK;
}
