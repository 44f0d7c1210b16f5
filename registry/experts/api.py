from flask_smorest import Blueprint

blp = Blueprint("registry_experts_api", __name__, url_prefix="/api/v1", description="stub")
