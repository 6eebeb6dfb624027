#include "symbols/module_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "common/err.h"

static const char *const exts[] = { ".ko", ".ko.xz", ".ko.zst" };

static void normalize(char *s)
{
	for (; *s; s++)
		if (*s == '-')
			*s = '_';
}

/* The module name of a file name, or false when it is no module. */
static bool module_name(const char *file, char *name, size_t len)
{
	size_t fl = strlen(file);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t el = strlen(exts[i]);
		if (fl > el && fl - el < len &&
		    !strcmp(file + fl - el, exts[i])) {
			memcpy(name, file, fl - el);
			name[fl - el] = '\0';
			normalize(name);
			return true;
		}
	}
	return false;
}

static int add(struct module_files *mf, size_t *cap, const char *name,
	       const char *path)
{
	if (mf->n == MODULE_FILES_MAX)
		return -1;
	if (mf->n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		struct module_file *v = realloc(mf->v, c * sizeof(*v));
		if (!v)
			return -1;
		mf->v = v;
		*cap = c;
	}
	struct module_file *f = &mf->v[mf->n];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->rank = mf->n;
	f->path = strdup(path);
	if (!f->path)
		return -1;
	mf->n++;
	return 0;
}

/* Depth-first, bounded in depth; symlinked directories are not followed
 * (no loops). */
static int walk(struct module_files *mf, size_t *cap, const char *dir,
		unsigned depth)
{
	if (depth > 8)
		return 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int rc = 0;
	struct dirent *e;
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[PATH_MAX], name[64];
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(path))
			continue;
		if (e->d_type == DT_DIR)
			rc = walk(mf, cap, path, depth + 1);
		else if ((e->d_type == DT_REG || e->d_type == DT_LNK ||
			  e->d_type == DT_UNKNOWN) &&
			 module_name(e->d_name, name, sizeof(name)))
			rc = add(mf, cap, name, path);
	}
	closedir(d);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	const struct module_file *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->rank > y->rank) - (x->rank < y->rank);
}

int module_files_index(struct module_files *mf, const char *const *dirs,
		       unsigned nr_dirs, char *err)
{
	memset(mf, 0, sizeof(*mf));
	size_t cap = 0, off = 0;
	for (unsigned i = 0; i < nr_dirs && i < MODULE_DIRS_MAX; i++) {
		snprintf(mf->dirs[i], sizeof(mf->dirs[i]), "%s", dirs[i]);
		mf->nr_dirs++;
		size_t before = mf->n;
		if (walk(mf, &cap, dirs[i], 0))
			return set_err(err, "indexing %s: out of memory or more "
				       "than %u files", dirs[i],
				       MODULE_FILES_MAX);
		off += (size_t)snprintf(mf->note + off, off < sizeof(mf->note)
						? sizeof(mf->note) - off : 0,
					"%s%s (%zu)", i ? ", " : "", dirs[i],
					mf->n - before);
		if (off >= sizeof(mf->note))
			off = sizeof(mf->note) - 1;
	}
	qsort(mf->v, mf->n, sizeof(mf->v[0]), by_name);
	return 0;
}

void module_files_free(struct module_files *mf)
{
	for (size_t i = 0; i < mf->n; i++)
		free(mf->v[i].path);
	free(mf->v);
	memset(mf, 0, sizeof(*mf));
}

const char *module_files_find(const struct module_files *mf, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "%s", name);
	normalize(key);
	size_t lo = 0, hi = mf->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, mf->v[mid].name);
		if (!c) {
			/* The first of equal names: the earliest directory. */
			while (mid > 0 && !strcmp(key, mf->v[mid - 1].name))
				mid--;
			return mf->v[mid].path;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

enum packing { PLAIN, XZ, ZSTD };

static enum packing packing_of(const char *path)
{
	size_t l = strlen(path);
	if (l > 3 && !strcmp(path + l - 3, ".xz"))
		return XZ;
	if (l > 4 && !strcmp(path + l - 4, ".zst"))
		return ZSTD;
	return PLAIN;
}

/* Unpack in to out, at most MODULE_FILE_MAX_BYTES. */
static int unpack(FILE *in, FILE *out, enum packing how, const char *path,
		  char *err)
{
	static uint8_t ibuf[1 << 16], obuf[1 << 16];
	uint64_t total = 0;
	int rc = -1;
	if (how == XZ) {
		lzma_stream s = LZMA_STREAM_INIT;
		if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
			return set_err(err, "%s: xz decoder failed", path);
		lzma_action act = LZMA_RUN;
		for (;;) {
			if (!s.avail_in && act == LZMA_RUN) {
				s.next_in = ibuf;
				s.avail_in = fread(ibuf, 1, sizeof(ibuf), in);
				if (!s.avail_in)
					act = LZMA_FINISH;
			}
			s.next_out = obuf;
			s.avail_out = sizeof(obuf);
			lzma_ret r = lzma_code(&s, act);
			size_t n = sizeof(obuf) - s.avail_out;
			total += n;
			if (total > MODULE_FILE_MAX_BYTES ||
			    fwrite(obuf, 1, n, out) != n) {
				set_err(err, "%s: too large or unwritable", path);
				break;
			}
			if (r == LZMA_STREAM_END) {
				rc = 0;
				break;
			}
			if (r != LZMA_OK) {
				set_err(err, "%s: corrupt xz data (%d)", path,
					(int)r);
				break;
			}
		}
		lzma_end(&s);
		return rc;
	}
	ZSTD_DStream *z = ZSTD_createDStream();
	if (!z)
		return set_err(err, "%s: zstd decoder failed", path);
	size_t r = 1;
	bool eof = false;
	ZSTD_inBuffer zi = { ibuf, 0, 0 };
	while (!eof || zi.pos < zi.size) {
		if (zi.pos == zi.size) {
			zi.size = fread(ibuf, 1, sizeof(ibuf), in);
			zi.pos = 0;
			if (!zi.size) {
				eof = true;
				break;
			}
		}
		ZSTD_outBuffer zo = { obuf, sizeof(obuf), 0 };
		r = ZSTD_decompressStream(z, &zo, &zi);
		if (ZSTD_isError(r)) {
			set_err(err, "%s: corrupt zstd data (%s)", path,
				ZSTD_getErrorName(r));
			ZSTD_freeDStream(z);
			return -1;
		}
		total += zo.pos;
		if (total > MODULE_FILE_MAX_BYTES ||
		    fwrite(obuf, 1, zo.pos, out) != zo.pos) {
			ZSTD_freeDStream(z);
			return set_err(err, "%s: too large or unwritable", path);
		}
	}
	ZSTD_freeDStream(z);
	if (r != 0)
		return set_err(err, "%s: truncated zstd data", path);
	return 0;
}

int module_file_unpacked(const char *path, const char *cache_dir,
			 char *out, size_t out_len, char *err)
{
	enum packing how = packing_of(path);
	if (how == PLAIN) {
		if (snprintf(out, out_len, "%s", path) >= (int)out_len)
			return set_err(err, "%s: path too long", path);
		return 0;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t keep = strlen(base) - (how == XZ ? 3 : 4); /* drop .xz/.zst */
	if (snprintf(out, out_len, "%s/%.*s", cache_dir, (int)keep, base) >=
	    (int)out_len)
		return set_err(err, "%s: path too long", path);
	struct stat src, dst;
	if (stat(path, &src))
		return set_err(err, "%s: %s", path, strerror(errno));
	if (!stat(out, &dst) && dst.st_mtime >= src.st_mtime && dst.st_size)
		return 0; /* unpacked before */
	FILE *in = fopen(path, "rbe");
	if (!in)
		return set_err(err, "%s: %s", path, strerror(errno));
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", out, (int)getpid());
	FILE *o = fopen(tmp, "wbe");
	if (!o) {
		fclose(in);
		return set_err(err, "%s: %s", tmp, strerror(errno));
	}
	int rc = unpack(in, o, how, path, err);
	fclose(in);
	if (fclose(o) && !rc)
		rc = set_err(err, "%s: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, out))
		rc = set_err(err, "%s: %s", out, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}
