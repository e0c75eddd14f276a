"""The GraphQL schema: the 360 card, customer search, the analytics, and the mutations.

Resolvers only shape, batch and check permissions: the answers come from the named queries and
the analytics functions (graph360/analytics/), run on the store's worker threads. Each group of
fields lives in its own module of graph360/api/ and is merged here (strawberry's
``merge_types``); the order of the groups is the order of the fields in the SDL.
"""

from __future__ import annotations

from strawberry.tools import merge_types

from graph360.api.analytics_queries import AnalyticsQueries
from graph360.api.customers import CustomerQueries
from graph360.api.follow_ups import FollowUpMutations
from graph360.api.matching import ReviewMutations, ReviewQueries
from graph360.api.merging import MergeMutations, MergeQueries
from graph360.api.personal_data import PersonalDataMutation, PersonalDataQuery
from graph360.api.recording import RecordingMutations
from graph360.api.steps import StepMutations, StepQueries

Query = merge_types(
    "Query",
    (
        MergeQueries,
        ReviewQueries,
        PersonalDataQuery,
        CustomerQueries,
        AnalyticsQueries,
        StepQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        MergeMutations,
        ReviewMutations,
        PersonalDataMutation,
        RecordingMutations,
        StepMutations,
        FollowUpMutations,
    ),
)
