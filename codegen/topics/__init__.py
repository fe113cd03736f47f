"""Topics as code: ``[[topics]]`` declarations compared with the cluster and applied to it."""

from codegen.topics.plan import ClusterTopic, TopicChange, TopicPlan, plan_topics

__all__ = ["ClusterTopic", "TopicChange", "TopicPlan", "plan_topics"]
