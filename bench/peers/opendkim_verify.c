/* bench/peers/opendkim_verify.c: libopendkim (the library behind opendkim, Debian libopendkim-dev)
 * as a peer. Verifies each message named in a list file in one process, keys from a dkimscan
 * --keys file through libopendkim's own file query method (DKIM_QUERY_FILE: "name value" lines,
 * the same shape), no DNS. opendkim-testmsg would start one process per message and needs live
 * DNS; this is the same library without those two costs. Prints one JSON line of counts like the
 * other peers: pass if any signature verifies, else fail; none if unsigned.
 *
 *   cc -O2 bench/peers/opendkim_verify.c -o opendkim_verify -lopendkim
 *   ./opendkim_verify keys.zone files.txt
 */
#include <opendkim/dkim.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *data = malloc(n > 0 ? (size_t)n : 1);
  *size = fread(data, 1, (size_t)n, f);
  fclose(f);
  return data;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s keys.zone files.txt\n", argv[0]);
    return 64;
  }
  DKIM_LIB *lib = dkim_init(NULL, NULL);
  dkim_query_t method = DKIM_QUERY_FILE;
  unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;  /* bare-LF messages, as the other tools accept them */
  if (lib == NULL || dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &method, sizeof method) != DKIM_STAT_OK ||
      dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, argv[1], strlen(argv[1])) != DKIM_STAT_OK ||
      dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags) != DKIM_STAT_OK) {
    fprintf(stderr, "opendkim_verify: cannot set up libopendkim\n");
    return 70;
  }
  FILE *list = fopen(argv[2], "r");
  if (list == NULL) {
    perror(argv[2]);
    return 66;
  }
  char path[4096];
  unsigned long messages = 0, pass = 0, fail = 0, none = 0;
  while (fgets(path, sizeof path, list) != NULL) {
    path[strcspn(path, "\n")] = '\0';
    if (path[0] == '\0') continue;
    ++messages;
    size_t size = 0;
    unsigned char *message = read_file(path, &size);
    DKIM_STAT status = DKIM_STAT_OK;
    DKIM *dkim = message ? dkim_verify(lib, (const unsigned char *)"peer", NULL, &status) : NULL;
    if (dkim == NULL) {
      ++fail;
      free(message);
      continue;
    }
    dkim_chunk(dkim, message, size);
    dkim_chunk(dkim, NULL, 0);
    status = dkim_eom(dkim, NULL);
    DKIM_SIGINFO **sigs = NULL;
    int nsigs = 0;
    int any = 0;
    if (dkim_getsiglist(dkim, &sigs, &nsigs) == DKIM_STAT_OK) {
      for (int i = 0; i < nsigs; ++i) any |= DKIM_SIG_CHECK(sigs[i]);
    }
    if (nsigs == 0 || status == DKIM_STAT_NOSIG) ++none;
    else if (any) ++pass;
    else ++fail;
    dkim_free(dkim);
    free(message);
  }
  fclose(list);
  dkim_close(lib);
  printf("{\"messages\": %lu, \"results\": {\"pass\": %lu, \"fail\": %lu, \"none\": %lu}}\n", messages, pass, fail, none);
  return 0;
}
