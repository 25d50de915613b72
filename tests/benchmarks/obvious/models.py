"""The real app's tables, mapped as the obvious app's own (unmanaged) models."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)

    class Meta:
        managed = False
        db_table = "accounts_user"


class ApiToken(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "accounts_apitoken"

    def __str__(self) -> str:
        return str(self.id)


class File(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(User, on_delete=models.CASCADE)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    checksum_md5 = models.CharField(max_length=24)
    status = models.CharField(max_length=10)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True)
    completed_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "files_file"

    def __str__(self) -> str:
        return self.filename
