from sanic import Blueprint

bp = Blueprint("qr")
