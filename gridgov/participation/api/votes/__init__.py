"""The owners' vote API under ``/api/v1/votes/`` (业主表决; DESIGN D7, D10): the same reads and
steps as the pages, scoped alike — staff of the area list, create, open and close votes, record
paper ballots, proxies and co-owners' choices; an owner lists their votes, casts a ballot as
themselves and checks a receipt; the tally, the masked ballot list and the certified result (with
its PDF and Excel exports, audited) are open to both."""
