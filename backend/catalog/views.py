from sanic import Blueprint

bp = Blueprint("catalog")
