//! Queries over end users and their links to Zoom credentials.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::Store;
use super::entity::{credential, end_user, link};
use crate::domain::Timestamp;

/// What an application may know about one of its links: never a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkSummary {
    pub id: String,
    /// The application's own id for the end user.
    pub end_user_id: String,
    pub provider: String,
    pub status: String,
    pub account_email: String,
    pub account_display_name: String,
    pub connected_at: Timestamp,
}

impl Store {
    /// The links of one of this application's end users (empty when the end
    /// user is unknown to this application).
    pub async fn end_user_links(
        &self,
        application_id: &str,
        end_user_id: &str,
    ) -> anyhow::Result<Vec<LinkSummary>> {
        let Some(end_user) = end_user::Entity::find()
            .filter(end_user::Column::ApplicationId.eq(application_id))
            .filter(end_user::Column::ExternalId.eq(end_user_id))
            .one(self.connection())
            .await?
        else {
            return Ok(Vec::new());
        };
        let rows = link::Entity::find()
            .filter(link::Column::ApplicationId.eq(application_id))
            .filter(link::Column::EndUserId.eq(end_user.id.as_str()))
            .order_by_asc(link::Column::ConnectedAt)
            .find_also_related(credential::Entity)
            .all(self.connection())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(link, credential)| {
                credential.map(|credential| LinkSummary {
                    id: link.id,
                    end_user_id: end_user.external_id.clone(),
                    provider: credential.provider,
                    status: link.status,
                    account_email: credential.email,
                    account_display_name: credential.display_name,
                    connected_at: link.connected_at,
                })
            })
            .collect())
    }
}
