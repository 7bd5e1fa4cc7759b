from ninja import Router

router = Router(tags=["ab_roles"])
