from sanic import Blueprint

bp = Blueprint("staff")
