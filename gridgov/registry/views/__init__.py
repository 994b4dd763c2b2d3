"""Pages of the people-and-housing registry (人房信息), one module per part.

Thin views: parse the request, call one selector or service from ``gridgov.registry``, render.
Records out of the actor's scope answer 404 like unknown ones; a missing permission is 403.
"""
