"""The case pages (工单): intake, queues, the case page, map, statistics and notifications."""
