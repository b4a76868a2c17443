/* limits.h — how many markets a run may hold (DESIGN §12): the one bound
 * that sizes the per-market arrays of the book, the finders and the run.
 */
#ifndef LC_LIMITS_H
#define LC_LIMITS_H

#define LC_MAX_MARKETS 16

#endif
