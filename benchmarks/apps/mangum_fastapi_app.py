from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/orders/{order_id}")
def get_order(order_id: str, expand: str | None = None):
    return {"id": order_id, "expand": expand, "total": 12.5}


handler = Mangum(app, lifespan="off")
