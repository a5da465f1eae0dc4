from mangum import Mangum
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def get_order(request):
    order_id = request.path_params["order_id"]
    expand = request.query_params.get("expand")
    return JSONResponse({"id": order_id, "expand": expand, "total": 12.5})


app = Starlette(routes=[Route("/orders/{order_id}", get_order)])
handler = Mangum(app, lifespan="off")
