"""Residents take part (云邻里 / 邻意汇): owners' votes, consultations, projects, ratings."""
