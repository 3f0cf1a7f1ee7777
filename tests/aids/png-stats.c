/*
 * png-stats - is a screenshot blank?  Decodes an 8-bit RGB or RGBA PNG
 * (zlib for the pixel data) and prints
 *   WIDTH HEIGHT DISTINCT_COLOURS PERCENT_NOT_BACKGROUND
 * where the background is the most common colour.  Exit 1 on a file it
 * cannot read.  Usage: png-stats FILE.png
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	FILE *fp;
	unsigned char *file = NULL, *idat = NULL, *raw = NULL;
	size_t len = 0, cap = 0, nidat = 0, n;
	unsigned char buf[65536];
	uint32_t w = 0, h = 0;
	int ctype = -1, depth = 0, interlace = 0;

	if (argc != 2 || !(fp = fopen(argv[1], "rb"))) {
		fprintf(stderr, "png-stats: cannot open %s\n", argc == 2 ? argv[1] : "(no file)");
		return 1;
	}
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
		if (len + n > cap) {
			cap = (len + n) * 2;
			file = realloc(file, cap);
		}
		memcpy(file + len, buf, n);
		len += n;
	}
	fclose(fp);
	if (len < 8 || memcmp(file, "\x89PNG\r\n\x1a\n", 8) != 0) {
		fprintf(stderr, "png-stats: %s: not a PNG\n", argv[1]);
		return 1;
	}
	idat = malloc(len);
	for (size_t pos = 8; pos + 12 <= len;) {
		uint32_t clen = be32(file + pos);
		const unsigned char *type = file + pos + 4, *data = file + pos + 8;

		if (pos + 12 + clen > len)
			break;
		if (memcmp(type, "IHDR", 4) == 0 && clen >= 13) {
			w = be32(data), h = be32(data + 4);
			depth = data[8], ctype = data[9], interlace = data[12];
		} else if (memcmp(type, "IDAT", 4) == 0) {
			memcpy(idat + nidat, data, clen);
			nidat += clen;
		}
		pos += 12 + clen;
	}
	if (depth != 8 || (ctype != 2 && ctype != 6) || interlace || !w || !h) {
		fprintf(stderr, "png-stats: %s: only 8-bit RGB/RGBA, not interlaced\n", argv[1]);
		return 1;
	}
	{
		size_t bpp = ctype == 6 ? 4 : 3, stride = (size_t)w * bpp, out_len = (stride + 1) * h;
		uLongf got = (uLongf)out_len;
		uint32_t *px;
		size_t distinct = 1, best = 0, run = 1, background = 0;

		raw = malloc(out_len);
		if (uncompress(raw, &got, idat, (uLong)nidat) != Z_OK || got != out_len) {
			fprintf(stderr, "png-stats: %s: corrupt pixel data\n", argv[1]);
			return 1;
		}
		for (uint32_t y = 0; y < h; y++) {
			unsigned char *row = raw + y * (stride + 1), *cur = row + 1;
			unsigned char *prev = y ? raw + (y - 1) * (stride + 1) + 1 : NULL;

			for (size_t i = 0; i < stride; i++) {
				int a = i >= bpp ? cur[i - bpp] : 0, b = prev ? prev[i] : 0;
				int c = prev && i >= bpp ? prev[i - bpp] : 0;

				switch (row[0]) {
				case 1: cur[i] = (unsigned char)(cur[i] + a); break;
				case 2: cur[i] = (unsigned char)(cur[i] + b); break;
				case 3: cur[i] = (unsigned char)(cur[i] + (a + b) / 2); break;
				case 4: cur[i] = (unsigned char)(cur[i] + paeth(a, b, c)); break;
				default: break;
				}
			}
		}
		px = malloc((size_t)w * h * sizeof *px);
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++) {
				unsigned char *p = raw + y * (stride + 1) + 1 + x * bpp;

				px[(size_t)y * w + x] = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
			}
		qsort(px, (size_t)w * h, sizeof *px, cmp_u32);
		for (size_t i = 1; i < (size_t)w * h; i++) {
			if (px[i] != px[i - 1]) {
				distinct++;
				if (run > best)
					best = run, background = i - run;
				run = 1;
			} else {
				run++;
			}
		}
		if (run > best)
			best = run;
		(void)background;
		printf("%u %u %zu %.2f\n", w, h, distinct, 100.0 * (double)((size_t)w * h - best) / ((double)w * h));
		free(px);
	}
	free(file), free(idat), free(raw);
	return 0;
}
