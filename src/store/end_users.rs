//! Queries over end users: each application's own users, named by the application's ids.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use super::entity::end_user;
use crate::domain::{Timestamp, new_id};

/// An end user as stored.
pub type EndUser = end_user::Model;

/// What an application tells the hub about an end user.
pub struct EndUserDetails {
    /// The application's own id for the end user.
    pub external_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
}

/// Finds the application's end user, creating it or updating the details
/// given (details not given are kept).
pub async fn upsert_end_user<C: ConnectionTrait>(
    db: &C,
    application_id: &str,
    details: EndUserDetails,
    now: Timestamp,
) -> anyhow::Result<EndUser> {
    let existing = end_user::Entity::find()
        .filter(end_user::Column::ApplicationId.eq(application_id))
        .filter(end_user::Column::ExternalId.eq(details.external_id.as_str()))
        .one(db)
        .await?;
    match existing {
        Some(existing) if details.email.is_none() && details.name.is_none() => Ok(existing),
        Some(existing) => {
            let mut changed = existing.into_active_model();
            if let Some(email) = details.email {
                changed.email = Set(Some(email));
            }
            if let Some(name) = details.name {
                changed.name = Set(Some(name));
            }
            changed.updated_at = Set(now);
            Ok(changed.update(db).await?)
        }
        None => {
            let row = EndUser {
                id: new_id("eu"),
                application_id: application_id.to_owned(),
                external_id: details.external_id.clone(),
                email: details.email,
                name: details.name,
                created_at: now,
                updated_at: now,
            };
            // Two first sessions for one end user may race: the loser reads the winner's row.
            end_user::Entity::insert(row.into_active_model())
                .on_conflict(
                    OnConflict::columns([
                        end_user::Column::ApplicationId,
                        end_user::Column::ExternalId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
            end_user::Entity::find()
                .filter(end_user::Column::ApplicationId.eq(application_id))
                .filter(end_user::Column::ExternalId.eq(details.external_id.as_str()))
                .one(db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("end user vanished right after its insert"))
        }
    }
}
