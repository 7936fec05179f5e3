"""SQLAlchemy models, one module per area; import them from here."""

from .audit import Attachment, AuditEvent, LoginAttempt
from .instance import HumanTask, InstanceWord, ProcessInstance, human_task_candidate, title_words
from .notification import Incident, Notification, NotificationDelivery
from .process import ProcessDefinition, ProcessVersion
from .service_call import ServiceCall
from .session import UserSession
from .status import SYSTEM_ROLES, InstanceStatus, ServiceCallStatus, TaskStatus
from .user import ApiToken, Role, User, user_role
from .worker import WorkerStatus

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "HumanTask",
    "Incident",
    "InstanceWord",
    "LoginAttempt",
    "Notification",
    "NotificationDelivery",
    "InstanceStatus",
    "ProcessDefinition",
    "ProcessInstance",
    "ProcessVersion",
    "Role",
    "SYSTEM_ROLES",
    "ServiceCall",
    "ServiceCallStatus",
    "TaskStatus",
    "User",
    "UserSession",
    "WorkerStatus",
    "human_task_candidate",
    "title_words",
    "user_role",
]
