//! The domain's transitions (`intake_domain::transitions`) rendered as the
//! conditions of the writes that make them: the adapter never lists the
//! states a write may start from, it asks the transition.

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::builders::{ConditionCheckBuilder, UpdateBuilder};
use aws_sdk_dynamodb::types::AttributeValue;
use intake_domain::transitions::Transition;

use crate::item::s;

/// A write's condition: `#<attribute> IN (:from0, …)`, then what else the
/// write requires.
pub(super) struct Condition {
    expression: String,
    attribute: &'static str,
    values: Vec<(String, AttributeValue)>,
}

impl Condition {
    /// `attribute` holds the state (`status`, `state`); `name` is how a
    /// state is stored.
    pub(super) fn from<S: Copy>(
        attribute: &'static str,
        transition: &Transition<S>,
        name: fn(S) -> &'static str,
    ) -> Self {
        let values: Vec<(String, AttributeValue)> = transition
            .from
            .iter()
            .enumerate()
            .map(|(index, state)| (format!(":from{index}"), s(name(*state))))
            .collect();
        let placeholders: Vec<&str> = values.iter().map(|(key, _)| key.as_str()).collect();
        Self {
            expression: format!("#{attribute} IN ({})", placeholders.join(", ")),
            attribute,
            values,
        }
    }

    /// What the write requires besides the state (its own placeholders).
    pub(super) fn and(mut self, more: &str) -> Self {
        self.expression = format!("{} AND ({more})", self.expression);
        self
    }

    #[cfg(test)]
    fn expression(&self) -> &str {
        &self.expression
    }
}

/// A write that can carry a [`Condition`].
pub(super) trait Conditional: Sized {
    fn condition(self, expression: String) -> Self;
    fn name(self, placeholder: String, attribute: &str) -> Self;
    fn value(self, placeholder: String, value: AttributeValue) -> Self;

    fn only_if(self, condition: Condition) -> Self {
        let attribute = condition.attribute;
        let write = self
            .condition(condition.expression)
            .name(format!("#{attribute}"), attribute);
        condition
            .values
            .into_iter()
            .fold(write, |write, (placeholder, value)| {
                write.value(placeholder, value)
            })
    }
}

/// Both kinds of update (alone and in a transaction) have the same three
/// setters.
macro_rules! conditional {
    ($($write:ty),+) => {$(
        impl Conditional for $write {
            fn condition(self, expression: String) -> Self {
                self.condition_expression(expression)
            }
            fn name(self, placeholder: String, attribute: &str) -> Self {
                self.expression_attribute_names(placeholder, attribute)
            }
            fn value(self, placeholder: String, value: AttributeValue) -> Self {
                self.expression_attribute_values(placeholder, value)
            }
        }
    )+};
}

conditional!(
    UpdateItemFluentBuilder,
    UpdateBuilder,
    ConditionCheckBuilder
);

#[cfg(test)]
mod tests {
    use super::*;
    use intake_domain::model::FileState;
    use intake_domain::transitions::file;

    #[test]
    fn a_transition_becomes_an_in_condition_on_its_start_states() {
        let condition =
            Condition::from("status", &file::START, FileState::as_str).and("attribute_exists(pk)");

        assert_eq!(
            condition.expression(),
            "#status IN (:from0, :from1) AND (attribute_exists(pk))"
        );
        let values: Vec<(&str, &str)> = condition
            .values
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_s().map(String::as_str).unwrap_or("")))
            .collect();
        assert_eq!(
            values,
            vec![(":from0", "uploaded"), (":from1", "processing")]
        );
    }
}
