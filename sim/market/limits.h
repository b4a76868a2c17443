/* limits.h — how many markets a run may hold (DESIGN §12): the one bound
 * that sizes the per-market arrays of the book, the finders and the run;
 * and the asset index of quote. */
#ifndef LC_LIMITS_H
#define LC_LIMITS_H

#define LC_MAX_MARKETS 16

/* The asset of quote-currency balances (the numeraire, price 1) where a
 * market's index names an asset. */
#define LC_QUOTE (-1)

#endif
