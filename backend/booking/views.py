from sanic import Blueprint

bp = Blueprint("booking")
