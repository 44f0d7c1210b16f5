from flask_smorest import Blueprint

blp = Blueprint("expert_draw_api", __name__, url_prefix="/api/v1", description="stub")
