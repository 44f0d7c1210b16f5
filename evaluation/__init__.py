"""evaluation/: remote evaluation rooms, reviews, scoring, report, award and contract.

So far only the rules engine, pure Python and not registered in core/app.py FEATURES:
`rules` (the region's rule set), `review` (qualification and compliance review),
`price_correction` (87号令 Art 59), `low_price` (Art 60), `scoring` (SME deductions, price
score, totals, ranking, candidates), `consistency` (flags before the summary, the Art 64
guard on later changes) and `opinions` (minority opinions).
"""
