/*
 * cpz.h - the cellpipe tensor stream format (see formats/FORMAT.md, cpz(5)).
 *
 * A stream is a sequence of zstd frames, one per record.  Decompressed,
 * each frame is one msgpack map:
 *
 *   header  {"cpz": [major, minor], "kind": str, "producer": str, "command": str}
 *   record  {"record": TYPE, NAME: VALUE, ...}        zero or more
 *   end     {"record": "end", "count": n, "bytes": n, "checksum": u64}
 *
 * A VALUE is a tensor {"dtype": str, "shape": [n...], "data": bin | [bin...]}
 * (little-endian, row-major), a list of strings, an integer, a float, a
 * string or a boolean.  The end record carries the number of data records
 * and the XXH64 of every decompressed byte before it, so a reader knows a
 * stream is whole.  Streams can be concatenated: a header may follow an
 * end record, with the same kind and major version.
 *
 * Reading never trusts sizes: a tensor's byte length must equal
 * product(shape) x dtype size, and every declared length or count is
 * checked against the bytes actually present before anything is
 * allocated.  Every error names the file, the record and the field.
 */
#ifndef CPZ_H
#define CPZ_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CPZ_VERSION_MAJOR 1
#define CPZ_VERSION_MINOR 0
#define CPZ_MAX_DIMS 8

typedef enum cpz_dtype {
	CPZ_ANY = -1,	/* for lookups: accept any dtype */
	CPZ_F32 = 0,
	CPZ_F64,
	CPZ_I32,
	CPZ_I64,
	CPZ_U8,
	CPZ_BOOL,
	CPZ_DTYPE_COUNT
} cpz_dtype;

size_t cpz_dtype_size(cpz_dtype dtype);
const char *cpz_dtype_name(cpz_dtype dtype);	/* "f32", ... */
/* Returns 0 and stores the dtype, or -1 if name is not a dtype. */
int cpz_dtype_parse(const char *name, cpz_dtype *out);

typedef struct cpz_tensor {
	cpz_dtype dtype;
	int ndim;
	int64_t shape[CPZ_MAX_DIMS];
	size_t count;	/* product of shape */
	size_t nbytes;	/* count x dtype size */
	void *data;	/* 64-byte aligned when read; borrowed when built */
} cpz_tensor;

typedef enum cpz_value_kind {
	CPZ_VALUE_TENSOR,
	CPZ_VALUE_STRINGS,
	CPZ_VALUE_INT,
	CPZ_VALUE_FLOAT,
	CPZ_VALUE_STR,
	CPZ_VALUE_BOOL
} cpz_value_kind;

typedef struct cpz_field {
	const char *name;
	cpz_value_kind kind;
	cpz_tensor tensor;		/* CPZ_VALUE_TENSOR */
	size_t nstrings;		/* CPZ_VALUE_STRINGS */
	const char *const *strings;
	int64_t i;			/* CPZ_VALUE_INT */
	double f;			/* CPZ_VALUE_FLOAT */
	const char *s;			/* CPZ_VALUE_STR */
	int b;				/* CPZ_VALUE_BOOL */
} cpz_field;

/*
 * A record: a type name and an ordered list of named values.
 *
 * Built records borrow tensor data and string lists from the caller until
 * they are written; names, types and scalar strings are copied.  Records
 * filled by cpz_reader_next own everything, in their arena.
 */
typedef struct cpz_record {
	const char *type;
	size_t nfields, cap;
	cpz_field *fields;
	const char *source;	/* file the record came from, for messages */
	int64_t index;		/* 0-based data record number, -1 if built */
	cp_arena arena;
} cpz_record;

void cpz_record_init(cpz_record *rec);
/* Empty the record for reuse (keeps memory), and set its type. */
int cpz_record_reset(cpz_record *rec, const char *type, cp_error *err);
void cpz_record_free(cpz_record *rec);
/* Make dst an owning copy of src (type, fields, values, source, index). */
int cpz_record_copy(cpz_record *dst, const cpz_record *src, cp_error *err);
/* Add to dst copies of the fields of src whose names start with from,
 * renamed with to in place of from (e.g. from "data.", to "" strips a
 * prefix; from "", to "data." adds one). */
int cpz_record_copy_fields(cpz_record *dst, const cpz_record *src, const char *from,
			   const char *to, cp_error *err);

/* Adders return 0, or -1 with err set (duplicate name, bad shape...). */
int cpz_record_add_tensor(cpz_record *rec, const char *name, cpz_dtype dtype, int ndim,
			  const int64_t *shape, const void *data, cp_error *err);
/* The same, copying the data into the record. */
int cpz_record_add_tensor_copy(cpz_record *rec, const char *name, cpz_dtype dtype, int ndim,
			       const int64_t *shape, const void *data, cp_error *err);
int cpz_record_add_strings(cpz_record *rec, const char *name, size_t n,
			   const char *const *items, cp_error *err);
int cpz_record_add_int(cpz_record *rec, const char *name, int64_t v, cp_error *err);
int cpz_record_add_float(cpz_record *rec, const char *name, double v, cp_error *err);
int cpz_record_add_str(cpz_record *rec, const char *name, const char *v, cp_error *err);
int cpz_record_add_bool(cpz_record *rec, const char *name, int v, cp_error *err);

/* The name of a field the two records do not hold alike (missing from
 * one, of another kind, dtype or shape, or another value: floats compare
 * by their bits), or NULL when they hold the same fields and values. */
const char *cpz_record_diff(const cpz_record *a, const cpz_record *b);

/* Lookups.  NULL/-1 with a message "FILE: record N (TYPE): field 'NAME': ..."
 * when the field is missing or of the wrong kind, dtype (CPZ_ANY accepts
 * any) or number of dimensions (-1 accepts any). */
const cpz_field *cpz_record_field(const cpz_record *rec, const char *name);
const cpz_tensor *cpz_record_tensor(const cpz_record *rec, const char *name, cpz_dtype dtype,
				    int ndim, cp_error *err);
const char *const *cpz_record_strings(const cpz_record *rec, const char *name, size_t *n,
				      cp_error *err);
int cpz_record_int(const cpz_record *rec, const char *name, int64_t *out, cp_error *err);
/* Accepts an integer too. */
int cpz_record_float(const cpz_record *rec, const char *name, double *out, cp_error *err);
const char *cpz_record_str(const cpz_record *rec, const char *name, cp_error *err);
/* Check dimension d of a tensor field; -1 on mismatch with a message. */
int cpz_record_check_dim(const cpz_record *rec, const char *name, const cpz_tensor *t, int d,
			 int64_t want, cp_error *err);
/* Format an error about a field of this record: "FILE: record N (TYPE):
 * field 'NAME': <message>".  field may be NULL.  Returns -1. */
int cpz_record_error(const cpz_record *rec, const char *field, cp_error *err, const char *fmt,
		     ...) CP_PRINTF(4, 5);

/* ---- writing ----------------------------------------------------------- */

typedef struct cpz_writer cpz_writer;

typedef struct cpz_writer_options {
	int level;		/* zstd level; 0 = default (3, or $CPZ_LEVEL) */
	size_t chunk_bytes;	/* tensor data above this is split into bin chunks;
				   0 = default (1 GiB) */
	int allow_tty;		/* write binary to a terminal anyway */
} cpz_writer_options;

/* Check $CPZ_LEVEL and $CPZ_MAX_RECORD_BYTES: -1 with err naming the one
 * set to something other than an integer in its range.  Writers and readers
 * refuse such a setting too; a program checks it at its start. */
int cpz_env_check(cp_error *err);

/*
 * Open a stream for writing.  path "-" is standard output (refused when
 * it is a terminal); any other path is written to a temporary file next to
 * it and renamed over it by cpz_writer_close.  producer is "tool version",
 * command the command line.  opts may be NULL.  The header is written now.
 */
cpz_writer *cpz_writer_open(const char *path, const char *kind, const char *producer,
			    const char *command, const cpz_writer_options *opts, cp_error *err);
/* Write to an already open descriptor (not closed by the writer). */
cpz_writer *cpz_writer_open_fd(int fd, const char *name, const char *kind, const char *producer,
			       const char *command, const cpz_writer_options *opts, cp_error *err);
int cpz_writer_write(cpz_writer *w, const cpz_record *rec, cp_error *err);
/* Write the end record, flush, and move the file into place.  Frees w in
 * every case; on failure the temporary file is removed. */
int cpz_writer_close(cpz_writer *w, cp_error *err);
/* Give up: remove the temporary file and free w.  Safe on NULL. */
void cpz_writer_abort(cpz_writer *w);
/* Uncompressed bytes and data records written so far. */
uint64_t cpz_writer_bytes(const cpz_writer *w);
int64_t cpz_writer_count(const cpz_writer *w);

/* ---- reading ----------------------------------------------------------- */

typedef struct cpz_reader cpz_reader;

typedef struct cpz_header {
	uint64_t major, minor;	/* any minor version reads */
	const char *kind;
	const char *producer;
	const char *command;
} cpz_header;

/* Text as cpz takes it: UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF) without NUL bytes.  NULL when n bytes of text
 * are, else what is wrong with them. */
const char *cpz_text_defect(const char *text, size_t n);
/* Free text from outside (a file name, a command line) as cpz takes it, in
 * a copy the caller frees (NULL: out of memory): UTF-8 text as it is; any
 * other with each byte of an invalid sequence written \xNN and each
 * backslash \\.  cpz_text_unescape undoes it (a path read back). */
char *cpz_text_escape(const char *text, size_t n);
char *cpz_text_unescape(const char *text);
/* A string field of such text, escaped so. */
int cpz_record_add_text(cpz_record *rec, const char *name, const char *v, cp_error *err);

/* Open and read the header.  path "-" is standard input.  The limit on
 * one record's decompressed size is $CPZ_MAX_RECORD_BYTES or 32 GiB. */
cpz_reader *cpz_reader_open(const char *path, cp_error *err);
cpz_reader *cpz_reader_open_fd(int fd, const char *name, cp_error *err);
const cpz_header *cpz_reader_header(const cpz_reader *r);
const char *cpz_reader_name(const cpz_reader *r);
/* -1 with "FILE: expected a KIND stream, found OTHER" if the kind differs. */
int cpz_reader_expect_kind(const cpz_reader *r, const char *kind, cp_error *err);
/*
 * Read the next data record into rec (reset first).  Returns 1 when a
 * record was read, 0 at the verified end of the stream, -1 on any defect.
 */
int cpz_reader_next(cpz_reader *r, cpz_record *rec, cp_error *err);
/* Keep only records of these types (a NULL-terminated list, which must
 * outlive the reader; NULL: all): any other is still read through and
 * checked against the stream's checksum, but not held, and comes back with
 * its type and no fields.  For a reader that needs one small record of a
 * large stream (a model's history beside its parameters). */
void cpz_reader_only(cpz_reader *r, const char *const *types);
/* Data records read so far (all segments), and segments seen. */
int64_t cpz_reader_count(const cpz_reader *r);
int cpz_reader_segments(const cpz_reader *r);
/* The checksum of the last completed segment (valid after next() == 0). */
uint64_t cpz_reader_checksum(const cpz_reader *r);
/* The checksums of all segments completed so far, chained: the first
 * segment's, then for each next one the XXH64 (seed 0) of the 16 bytes of
 * the value before and its checksum, both little-endian.  For a stream of
 * one segment, its checksum. */
uint64_t cpz_reader_stream_checksum(const cpz_reader *r);
void cpz_reader_close(cpz_reader *r);
/* Testing aid: limit the size of one record. */
void cpz_reader_set_max_record(cpz_reader *r, size_t bytes);

/* ---- genomes ------------------------------------------------------------
 * A stream whose tensors index genes carries, as its first data record, a
 * record of type "genome" with the field "names" (systematic gene names,
 * in index order) and "hash", the hex XXH64 of the names joined by "\n".
 * Two streams agree when their hashes agree. */

uint64_t cpz_genome_hash(size_t n, const char *const *names);
/* Adds "names" and "hash" to rec (type should be "genome"). */
int cpz_record_add_genome(cpz_record *rec, size_t n, const char *const *names, cp_error *err);
/* The error for two streams that index different genomes: names path's
 * genome record (record 0) and field 'hash', and both hashes.  Returns -1. */
int cpz_genome_mismatch(cp_error *err, const char *path, uint64_t hash, const char *other,
			uint64_t other_hash);
/* Reads and verifies a genome record: the hash must match the names, and
 * the optional "standard" (a name per gene) and "alias.name" with
 * "alias.gene" (a gene index per alias) must fit them. */
int cpz_record_genome(const cpz_record *rec, size_t *n, const char *const **names,
		      uint64_t *hash, cp_error *err);
/*
 * The start of a concatenated stream's next segment, when a reader expecting
 * a data record finds the genome record rec: the genome must hash to
 * genome_hash, and the record after it, read into rec, must be of type head
 * (the segment's context or meta, for the caller to compare with its
 * first).  0 on success, -1 with err naming the record.
 */
int cpz_reader_segment_head(cpz_reader *r, cpz_record *rec, uint64_t genome_hash, const char *head,
			    cp_error *err);


/* ---- text ---------------------------------------------------------------- */

/* Append to out a one-line summary of rec in the way researchers read these
 * objects: "TYPE: name=f32[3, 4], group={a=i64[5], b=str[2]}, n=7".  Fields
 * named "group.member" are shown inside group={...}.  preview > 0 also shows
 * up to that many leading values of each tensor and string list. */
int cpz_record_summary(const cpz_record *rec, int preview, cp_buf *out, cp_error *err);
/* Element i of a tensor as text, precise enough to read back exactly
 * ("nan", "inf" and "-inf" for the non-finite).  Returns the length. */
int cpz_tensor_format(const cpz_tensor *t, size_t i, char *buf, size_t n);
/* Parse text as one element of dtype into out (cpz_dtype_size bytes):
 * floats accept "nan"/"NaN"/"NA"/"" as NaN; bool accepts 0/1/true/false. */
int cpz_parse_value(cpz_dtype dtype, const char *text, void *out);

#ifdef __cplusplus
}
#endif

#endif
