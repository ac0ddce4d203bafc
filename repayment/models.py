from django.db import models


class BusinessDate(models.Model):
    """The servicing calendar: the date close-of-business last completed. Nothing in servicing reads the wall clock.

    A single row (id = 1), advanced only by close-of-business.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    business_date = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="business_date_single_row")]

    def __str__(self) -> str:
        return self.business_date.isoformat()
