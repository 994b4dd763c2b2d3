"""The owners' vote pages (业主表决): staff pages (list, new vote, the vote and its live board,
paper ballots, proxies, co-owners), the owner's pages (phone first), and what every owner of
the scope may read (ballot list, certified result, its exports, the receipt check)."""
