/*
 * cpz_bench - write and read throughput of the tensor stream format, and
 * `zstd -d` on the same file for comparison.
 *
 *   cpz_bench [-m MIB] [-r RECORD_MIB] [-o FILE]
 *
 * The stream holds records like the pipeline's: float32 activations
 * (noisy, poorly compressible), int32 index lists (sorted, compressible)
 * and uint8 masks.  Throughput is in MB/s of uncompressed record bytes.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpz.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	size_t total_mib = 512, record_mib = 8;
	const char *path = "/tmp/cpz_bench.cpz";
	int c;

	while ((c = getopt(argc, argv, "m:r:o:")) != -1) {
		switch (c) {
		case 'm': total_mib = (size_t)atol(optarg); break;
		case 'r': record_mib = (size_t)atol(optarg); break;
		case 'o': path = optarg; break;
		default:
			fprintf(stderr, "usage: cpz_bench [-m MIB] [-r RECORD_MIB] [-o FILE]\n");
			return 2;
		}
	}
	size_t per = record_mib << 20;
	size_t nf = per / 2 / 4, ni = per / 4 / 4, nm = per / 4;
	size_t nrec = (total_mib << 20) / per;
	float *f = malloc(nf * 4);
	int32_t *idx = malloc(ni * 4);
	uint8_t *mask = malloc(nm);
	uint64_t s = 42;
	cp_error err;

	for (size_t i = 0; i < nf; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		f[i] = (float)((double)(s >> 40) / (double)(1ULL << 24) - 0.5) * 0.1f + (float)(i % 20);
		f[i] = (float)(int)(f[i] * 256) / 256.0f;	/* activations carry ~8 bits */
	}
	for (size_t i = 0; i < ni; i++)
		idx[i] = (int32_t)(i * 3 + (i % 7));
	for (size_t i = 0; i < nm; i++)
		mask[i] = (uint8_t)((i * 2654435761u >> 13) % 50 == 0);

	cpz_writer_options opts = { 0 };
	cpz_writer *w;
	cpz_record rec;
	double t0, t_write, t_read, t_zstd;
	uint64_t bytes;

	opts.allow_tty = 1;
	cpz_record_init(&rec);
	t0 = now();
	w = cpz_writer_open(path, "table", "cpz_bench", "cpz_bench", &opts, &err);
	if (!w) {
		fprintf(stderr, "cpz_bench: %s\n", err.msg);
		return 1;
	}
	for (size_t r = 0; r < nrec; r++) {
		int64_t sf[2] = { (int64_t)(nf / 64), 64 }, si[1] = { (int64_t)ni }, sm[1] = { (int64_t)nm };

		cpz_record_reset(&rec, "batch", &err);
		cpz_record_add_tensor(&rec, "activations", CPZ_F32, 2, sf, f, &err);
		cpz_record_add_tensor(&rec, "index", CPZ_I32, 1, si, idx, &err);
		cpz_record_add_tensor(&rec, "mask", CPZ_U8, 1, sm, mask, &err);
		if (cpz_writer_write(w, &rec, &err) < 0) {
			fprintf(stderr, "cpz_bench: %s\n", err.msg);
			return 1;
		}
	}
	bytes = cpz_writer_bytes(w);
	if (cpz_writer_close(w, &err) < 0) {
		fprintf(stderr, "cpz_bench: %s\n", err.msg);
		return 1;
	}
	t_write = now() - t0;

	/* read it back, every record fully decoded and checked */
	t0 = now();
	cpz_reader *r = cpz_reader_open(path, &err);
	int rc;
	double checksum = 0;

	if (!r) {
		fprintf(stderr, "cpz_bench: %s\n", err.msg);
		return 1;
	}
	while ((rc = cpz_reader_next(r, &rec, &err)) == 1) {
		const cpz_tensor *t = cpz_record_tensor(&rec, "activations", CPZ_F32, 2, &err);

		checksum += ((const float *)t->data)[t->count - 1];
	}
	if (rc < 0) {
		fprintf(stderr, "cpz_bench: %s\n", err.msg);
		return 1;
	}
	cpz_reader_close(r);
	t_read = now() - t0;

	/* plain zstd on the same bytes, output discarded */
	char cmd[4200];

	snprintf(cmd, sizeof cmd, "zstd -q -d -c '%s' > /dev/null", path);
	t0 = now();
	if (system(cmd) != 0) {
		fprintf(stderr, "cpz_bench: zstd -d failed\n");
		return 1;
	}
	t_zstd = now() - t0;

	FILE *fp = fopen(path, "rb");
	long csize = 0;

	if (fp) {
		fseek(fp, 0, SEEK_END);
		csize = ftell(fp);
		fclose(fp);
	}
	double mb = (double)bytes / 1e6;

	printf("cpz format: %.0f MB in %zu records of %zu MiB, compressed to %.0f MB (ratio %.2f)\n",
	       mb, nrec, record_mib, (double)csize / 1e6, (double)bytes / (double)csize);
	printf("  write (pack + zstd -3 + checksum)   %7.0f MB/s\n", mb / t_write);
	printf("  read  (decode, check, copy out)     %7.0f MB/s\n", mb / t_read);
	printf("  zstd -d on the same file            %7.0f MB/s\n", mb / t_zstd);
	printf("  read / zstd -d                      %7.2f  (goal >= 0.80)\n", t_zstd / t_read);
	if (checksum == -1)
		printf("impossible\n");
	cpz_record_free(&rec);
	unlink(path);
	free(f), free(idx), free(mask);
	return 0;
}
