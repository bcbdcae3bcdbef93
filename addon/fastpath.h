/* The launcher's fast path (fastpath.c). */
#ifndef OCIRT_FASTPATH_H
#define OCIRT_FASTPATH_H

/* What fastpath_main() returns when Node must run the command. */
#define FASTPATH_NODE (-1)

/* Answers `state`, `start`, `kill` and `delete` in their plain cases: the exit code, or FASTPATH_NODE. */
int fastpath_main(int argc, char** argv);

#endif
